Feature: Bypass visits (越级访) and repeat petitions (重复信访/回流)
  A petitioner who takes a matter already accepted and in handling to a higher organ is not
  accepted there (《信访工作条例》 art. 19); the higher organ registers the visit and links it to the
  original matter. A petition that comes back after the matter was concluded is linked too, so a
  supervisor sees it on the original case.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05

  Scenario: The city bureau registers a bypass visit and links it to the district case
    When 哈密市信访局 registers case B on 2026-03-20 with:
      | 信访形式         | 来访 |
      | 越级访，原事项   | A    |
    Then case A shows a bypass (越级访) petition, case B, registered at 哈密市信访局 while it was open

  Scenario: The city bureau cannot accept a matter still in handling at the district (art. 19)
    Given 哈密市信访局 registered case B on 2026-03-20 with:
      | 信访形式         | 来访 |
      | 越级访，原事项   | A    |
    And 哈密市信访局 decided on 2026-03-20 to handle case B itself
    When 哈密市信访局 accepts case B on 2026-03-21
    Then the step is refused with "bypass.pending_below"
    And nothing was recorded

  Scenario: The city bureau cannot accept it either while the district has only signed for it
    Given 伊州区信访局 registered case D on 2026-03-10
    And 伊州区信访局 transferred case D to 伊州区住房和城乡建设局 on 2026-03-11
    And 伊州区住房和城乡建设局 signed for case D on 2026-03-12
    And 哈密市信访局 registered case E on 2026-03-20 with:
      | 信访形式         | 来访 |
      | 越级访，原事项   | D    |
    And 哈密市信访局 decided on 2026-03-20 to handle case E itself
    When 哈密市信访局 accepts case E on 2026-03-21
    Then the step is refused with "bypass.pending_below"
    And nothing was recorded

  Scenario: A petition that comes back after the reply was served is linked as a repeat (回流)
    Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 解释说明
    And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
    And 伊州区住房和城乡建设局 served the reply on case A on 2026-04-22 by 直接送达
    When 伊州区信访局 registers case C on 2026-05-10 with:
      | 信访形式         | 来信 |
      | 重复信访，原事项 | A    |
    Then case A shows a repeat (重复信访) petition, case C, registered at 伊州区信访局 after it was concluded
