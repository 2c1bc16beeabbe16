Feature: The petitioner's evaluation (满意度评价)
  Once the reply is served, the petitioner rates the petition bureau and the responsible unit,
  each once (《信访工作条例》 art. 21: petitioners can query and evaluate the handling).

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
    And 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
    And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21

  Scenario: The petitioner is satisfied with the responsible unit
    Given 伊州区住房和城乡建设局 served the reply on case A on 2026-04-22 by 直接送达
    When 伊州区信访局 records the petitioner's rating of the 责任单位 on case A on 2026-04-25: 满意
    Then case A shows the petitioner rated the 责任单位 满意

  Scenario: The petitioner rates the petition bureau
    Given 伊州区住房和城乡建设局 served the reply on case A on 2026-04-22 by 直接送达
    When 伊州区信访局 records the petitioner's rating of the 信访部门 on case A on 2026-04-25: 基本满意
    Then case A shows the petitioner rated the 信访部门 基本满意

  Scenario: No rating before the reply is served
    When 伊州区信访局 records the petitioner's rating of the 责任单位 on case A on 2026-04-21: 不满意
    Then the step is refused with "evaluation.not_served"
    And nothing was recorded

  Scenario: The same unit cannot be rated twice
    Given 伊州区住房和城乡建设局 served the reply on case A on 2026-04-22 by 直接送达
    And 伊州区信访局 recorded the petitioner's rating of the 责任单位 on case A on 2026-04-25: 满意
    When 伊州区信访局 records the petitioner's rating of the 责任单位 on case A on 2026-04-26: 不满意
    Then the step is refused with "evaluation.duplicate"
    And nothing was recorded
    And case A shows the petitioner rated the 责任单位 满意
